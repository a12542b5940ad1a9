// Spreads the replicas of one owner (the same controller ownerReference uid: a ReplicaSet's
// pods) over nodes, so losing one Pi loses as few replicas as possible.
import type { ScorePlugin } from '../types.js';

export const ownerSpread: ScorePlugin = {
  name: 'SelectorSpread',
  skip: (pod) => pod.ownerUid === undefined,
  score: (pod, ni) => {
    if (pod.ownerUid === undefined) return 0;
    const self = ni.pods.get(pod.key)?.ownerUid === pod.ownerUid ? 1 : 0;
    return (ni.owners.get(pod.ownerUid) ?? 0) - self;
  },
  // Raw scores are replica counts: the node with the most gets 0, a node with none 100.
  normalize: (scores) => {
    const max = Math.max(0, ...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? 100 : Math.round((100 * (max - scores[i]!)) / max);
  },
};

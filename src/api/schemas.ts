// PLACEHOLDER until the per-kind schemas land in this same session; replaced by src/api/kinds/*.
import { Type, type TSchema } from '@sinclair/typebox';

export type KindName = 'Namespace' | 'Node' | 'Pod' | 'Service' | 'Endpoints' | 'ConfigMap' | 'Secret' | 'Event' | 'ServiceAccount' | 'Deployment' | 'ReplicaSet' | 'DaemonSet';

export const kindSchemas: Record<KindName, TSchema> = {
  Namespace: Type.Any(), Node: Type.Any(), Pod: Type.Any(), Service: Type.Any(), Endpoints: Type.Any(), ConfigMap: Type.Any(),
  Secret: Type.Any(), Event: Type.Any(), ServiceAccount: Type.Any(), Deployment: Type.Any(), ReplicaSet: Type.Any(), DaemonSet: Type.Any(),
};

// Service environment variables, the Kubernetes way, for both proxy modes.
import { describe, expect, it } from 'vitest';
import { envName, serviceEnv, type ServiceEnvTarget } from '../../src/agent/pods/service-env.js';
import type { ServiceBundle } from '../../src/protocol/messages.js';

const bundle = (name: string, namespace: string, o: Partial<ServiceBundle> = {}): ServiceBundle => ({
  namespace, name, revision: 1, clusterIP: '10.96.0.10',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, proxyPort: 20001, endpoints: [] }],
  ...o,
});

const iptables: ServiceEnvTarget = { mode: 'iptables' };
const userspace: ServiceEnvTarget = { mode: 'userspace', address: '172.17.0.1' };

describe('envName', () => {
  it.each([['web', 'WEB'], ['my-db', 'MY_DB'], ['a-b-c1', 'A_B_C1']])('%s → %s', (i, o) => expect(envName(i)).toBe(o));
});

describe('serviceEnv', () => {
  it('iptables mode: ClusterIP and service ports, every variable kubelet sets', () => {
    const s = bundle('redis-primary', 'default', {
      clusterIP: '10.96.3.4',
      ports: [
        { name: 'redis', protocol: 'TCP', port: 6379, proxyPort: 20010, endpoints: [] },
        { name: 'metrics', protocol: 'UDP', port: 9121, endpoints: [] },
      ],
    });
    expect(serviceEnv([s], 'default', true, iptables)).toEqual({
      REDIS_PRIMARY_SERVICE_HOST: '10.96.3.4',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.3.4:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.3.4:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.3.4',
      REDIS_PRIMARY_PORT_9121_UDP: 'udp://10.96.3.4:9121',
      REDIS_PRIMARY_PORT_9121_UDP_PROTO: 'udp',
      REDIS_PRIMARY_PORT_9121_UDP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_UDP_ADDR: '10.96.3.4',
    });
  });

  it('userspace mode: the node proxy address and proxy ports; names keep the service port', () => {
    const s = bundle('web', 'default', {
      ports: [
        { protocol: 'TCP', port: 80, endpoints: [] }, // no proxyPort: not reachable, left out
        { name: 'https', protocol: 'TCP', port: 443, proxyPort: 20443, endpoints: [] },
      ],
    });
    expect(serviceEnv([s], 'default', true, userspace)).toEqual({
      WEB_SERVICE_HOST: '172.17.0.1',
      WEB_SERVICE_PORT: '20443',
      WEB_SERVICE_PORT_HTTPS: '20443',
      WEB_PORT: 'tcp://172.17.0.1:20443',
      WEB_PORT_443_TCP: 'tcp://172.17.0.1:20443',
      WEB_PORT_443_TCP_PROTO: 'tcp',
      WEB_PORT_443_TCP_PORT: '20443',
      WEB_PORT_443_TCP_ADDR: '172.17.0.1',
    });
  });

  const table: { name: string; services: ServiceBundle[]; ns: string; links: boolean; target: ServiceEnvTarget; hosts: Record<string, string> }[] = [
    { name: 'only the pod\'s namespace', services: [bundle('a', 'default'), bundle('b', 'other')], ns: 'other', links: true, target: iptables, hosts: { B_SERVICE_HOST: '10.96.0.10' } },
    { name: 'headless Services get nothing', services: [bundle('h', 'default', { clusterIP: undefined })], ns: 'default', links: true, target: iptables, hosts: {} },
    { name: 'enableServiceLinks: false → none of the namespace', services: [bundle('a', 'default')], ns: 'default', links: false, target: iptables, hosts: {} },
    {
      name: 'enableServiceLinks: false still has default/kubernetes, from any namespace',
      services: [bundle('kubernetes', 'default', { clusterIP: '10.96.0.1' }), bundle('a', 'x')], ns: 'x', links: false, target: iptables,
      hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
    },
    {
      name: 'the namespace\'s own "kubernetes" wins over default\'s',
      services: [bundle('kubernetes', 'x', { clusterIP: '10.96.0.9' }), bundle('kubernetes', 'default', { clusterIP: '10.96.0.1' })], ns: 'x', links: true, target: iptables,
      hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.9' },
    },
    { name: 'userspace: a Service without any proxy port gets nothing', services: [bundle('a', 'default', { ports: [{ protocol: 'TCP', port: 1, endpoints: [] }] })], ns: 'default', links: true, target: userspace, hosts: {} },
    { name: 'userspace: SCTP is not served', services: [bundle('a', 'default', { ports: [{ protocol: 'SCTP', port: 1, proxyPort: 20001, endpoints: [] }] })], ns: 'default', links: true, target: userspace, hosts: {} },
    { name: 'IPv6 address in URLs', services: [bundle('v6', 'default', { clusterIP: 'fd00::10' })], ns: 'default', links: true, target: iptables, hosts: { V6_SERVICE_HOST: 'fd00::10' } },
  ];
  it.each(table)('$name', ({ services, ns, links, target, hosts }) => {
    const env = serviceEnv(services, ns, links, target);
    expect(Object.fromEntries(Object.entries(env).filter(([k]) => k.endsWith('_SERVICE_HOST')))).toEqual(hosts);
  });

  it('brackets IPv6 hosts in URLs', () => {
    expect(serviceEnv([bundle('v6', 'default', { clusterIP: 'fd00::10' })], 'default', true, iptables).V6_PORT).toBe('tcp://[fd00::10]:80');
  });
});

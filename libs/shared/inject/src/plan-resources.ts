// The proxy's requests and limits: the mesh defaults, overridden per pod by annotation. A request
// above a default limit raises that limit (the user asked for the request, nobody chose the limit);
// above a limit the user set, it is a problem, since the API server would refuse the whole pod.
import type { ResourceDefaults } from './inject-config.ts';
import type { ResourceRequirements } from './k8s.ts';
import { ANNOTATIONS } from './names.ts';
import type { PodSettings } from './pod-settings.ts';
import { parseQuantity } from './quantity.ts';

export function planResources(asked: PodSettings['resources'], defaults: ResourceDefaults): { resources: ResourceRequirements; problems: string[] } {
  const problems: string[] = [];
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [resource, requestKey, limitKey] of [['cpu', 'cpu', 'cpuLimit'], ['memory', 'memory', 'memoryLimit']] as const) {
    const request = asked[requestKey] ?? defaults[requestKey];
    let limit = asked[limitKey] ?? defaults[limitKey];
    const over = limit !== undefined && (parseQuantity(request) ?? 0) > (parseQuantity(limit) ?? Infinity);
    if (over && asked[limitKey] === undefined) limit = request;
    else if (over) {
      const requestName = resource === 'cpu' ? ANNOTATIONS.proxyCpu : ANNOTATIONS.proxyMemory;
      const limitName = resource === 'cpu' ? ANNOTATIONS.proxyCpuLimit : ANNOTATIONS.proxyMemoryLimit;
      problems.push(`${requestName}: ${request} is above the limit ${limit} (${asked[requestKey] === undefined ? 'the default request' : 'the annotation'} vs ${limitName})`);
    }
    requests[resource] = request;
    if (limit !== undefined) limits[resource] = limit;
  }
  return { resources: Object.keys(limits).length > 0 ? { requests, limits } : { requests }, problems };
}

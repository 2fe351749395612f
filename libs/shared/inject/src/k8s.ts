// The Kubernetes shapes the injector reads and writes, named once. Types only (erased at run time):
// kubernetes-models' generated interfaces, so a misspelt field in what we build fails `tsc`.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';

export type ObjectMeta = NonNullable<IPod['metadata']>;
export type PodSpec = IPodSpec;
export type Container = IContainer;
export type Probe = IProbe;
export type EnvVar = IEnvVar;
export type Volume = IVolume;
export type VolumeMount = IVolumeMount;
export type ResourceRequirements = IResourceRequirements;

/** A Pod or a pod template (PodTemplateSpec): what injection reads and changes. */
export interface PodLike {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

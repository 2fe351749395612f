// Helpers for tests and e2e only: temp dirs, processes started and cleaned up, polling with
// deadlines, certificate fixtures, ConfigMap-style volumes updated the kubelet's way. Never
// imported by production code (lint enforces it).
export { withTempDir } from './temp-dir.ts';
export { freePort, run, start, waitFor } from './process.ts';
export type { RunResult, Started } from './process.ts';
export { writeCertFixture } from './cert-fixture.ts';
export type { CertFixture } from './cert-fixture.ts';
export { createPodPair, isRoot, listNamespaces } from './netns.ts';
export type { Pod, PodPair } from './netns.ts';
export { startFakeTokenReview } from './fake-token-review.ts';
export type { FakeReviewAnswer, FakeTokenReview, ReceivedReview } from './fake-token-review.ts';
export { writeKubeletVolume } from './kubelet-volume.ts';
export { checkGolden, unifiedDiff } from './golden.ts';

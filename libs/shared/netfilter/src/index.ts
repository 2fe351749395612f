// Transparent capture as data, pure: the CaptureSpec and its init-container args, the nat rules it
// plans, their iptables-restore text, and the steps that undo them. Running iptables is the
// injector's `init` command's business. plan* expect a spec that validateCaptureSpec accepts.
export { defaultCaptureSpec, validateCaptureSpec, CAPTURE_FLAGS, type CaptureSpec } from './capture-spec.ts';
export { toArgs, fromArgs, type CaptureArgsParse } from './capture-args.ts';
export { parseCidr, type CidrParse, type Family } from './cidr.ts';
export { planCapture, planJumps, INBOUND_CHAIN, OUTPUT_CHAIN, type Rule, type FamilyRules } from './plan-capture.ts';
export { renderRestore, renderRuleLine, renderRuleArgs, type RuleOp } from './render-restore.ts';
export { planCleanup, renderCleanupArgs, parseOwnLines, type CleanupStep } from './plan-cleanup.ts';

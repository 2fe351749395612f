// End-to-end suites that exercise the apps as a user would: processes, real clients, the demo.
export {};

// node-gyp-build ships no types: it takes a package folder and returns the addon found under it.
declare module 'node-gyp-build' {
  const load: (dir: string) => unknown;
  export default load;
}

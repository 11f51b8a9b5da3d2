// serverEntrypoint has been renamed: the recipe must refuse, not half-patch.
function getAdapter() {
  return {
    name: "@astrojs/node",
    serverEntry: "@astrojs/node/server.js",
    previewEntrypoint: "@astrojs/node/preview.js"
  };
}
function createIntegration() {
  return {
    name: "@astrojs/node",
    hooks: {}
  };
}
export { createIntegration as default, getAdapter };

function getAdapter() {
  return {
    name: "@astrojs/node",
    serverEntrypoint: "@astrojs/node/server.js",
    previewEntrypoint: "@astrojs/node/preview.js",
  };
}
function createIntegration() {
  return {
    name: "@astrojs/node",
    hooks: {
      "astro:config:done": ({ setAdapter }) => {
        setAdapter(getAdapter();
      }
    }
  };
}
export { createIntegration as default, getAdapter };

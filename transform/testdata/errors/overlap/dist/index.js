function getAdapter() {
  return {
    name: "@astrojs/node",
    serverEntrypoint: "@astrojs/node/server.js"
  };
}
export { getAdapter };

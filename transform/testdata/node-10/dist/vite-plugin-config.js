const VIRTUAL_ID = "virtual:astro-node:config";
function createConfigPlugin(config) {
  return {
    name: VIRTUAL_ID,
    configEnvironment(name) {
      if (name === "ssr") {
        return { resolve: { noExternal: ["@astrojs/node"] } };
      }
    },
    load(id) {
      if (id === "\0" + VIRTUAL_ID) {
        return Object.entries(config).map(([k, v]) => `export const ${k} = ${JSON.stringify(v)};`).join("\n");
      }
    }
  };
}
export {
  createConfigPlugin
};

export const noExternal = ["@astrojs/node"];

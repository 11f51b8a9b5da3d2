function resolveServerDir(url, folder) {
  if (!url.includes(folder)) {
    throw new Error(
      `[@astrojs/node] Could not find the server directory "${folder}" from "${url}".`
    );
  }
  return url.slice(0, url.indexOf(folder) + folder.length);
}
const packageName = '@astrojs/nodejs-helper';
export {
  packageName,
  resolveServerDir
};

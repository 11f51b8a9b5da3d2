export default function createIntegration() {
  return { name: '@astrojs/node', hooks: {} };
}

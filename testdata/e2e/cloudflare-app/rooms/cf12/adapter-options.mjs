// Options of @astrojs/cloudflare 12.x for this project with rooms: the
// platform proxy (as in variants/runtime), and the worker entry of the
// project's own that exports the Durable Object class (src/worker.ts).
export default {
  platformProxy: { enabled: true },
  workerEntryPoint: { path: "src/worker.ts", namedExports: ["TestRoom"] },
};

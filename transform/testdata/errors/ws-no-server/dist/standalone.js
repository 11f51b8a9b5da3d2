// The server variable was renamed: `const server = createServer(...)` is gone
// from standalone(), so there is no server to attach upgrades to.
function standalone(app, options) {
  const handler = createStandaloneHandler(app, options);
  const httpServer = createServer(handler, options.host, options.port);
  httpServer.server.listen(options.port, options.host);
  return { server: httpServer, done: httpServer.closed() };
}
function createStandaloneHandler(app, options) {
  return (req, res) => app.handle(req, res, options);
}
function createServer(listener, host, port) {
  return { server: listener, host, port, closed: () => Promise.resolve() };
}
export { createServer, createStandaloneHandler, standalone as default };

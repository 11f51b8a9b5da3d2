// The listener is built inline: there is no name to hand upgrade requests to.
function standalone(app, options) {
  const server = createServer(createStandaloneHandler(app, options), options.host, options.port);
  server.server.listen(options.port, options.host);
  return server;
}
export { standalone as default };

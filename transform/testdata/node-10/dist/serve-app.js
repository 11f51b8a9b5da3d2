import { createRequest, writeResponse } from "astro/app/node";
function createAppHandler(app, options) {
  const logger = app.getAdapterLogger();
  return async (req, res, next, locals) => {
    let request;
    try {
      request = createRequest(req, { port: options.port });
    } catch (err) {
      logger.error(`Could not read the request for ${req.url}`);
      res.writeHead(500).end();
      return;
    }
    const routeData = app.match(request, true);
    if (routeData) {
      const response = await app.render(request, { addCookieHeader: true, locals, routeData });
      await writeResponse(response, res);
    } else if (next) {
      return next();
    } else {
      await writeResponse(await app.render(request, { addCookieHeader: true }), res);
    }
  };
}
export {
  createAppHandler
};

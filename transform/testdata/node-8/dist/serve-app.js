import { NodeApp } from 'astro/app/node';
// Fixture shaped like the compiled serve-app of @astrojs/node 8.x (hand-written).
// One listener for standalone and middleware mode: `next` is only given by a
// surrounding middleware stack.
export function createAppHandler(app) {
    return async (req, res, next, locals) => {
        const request = NodeApp.createRequest(req);
        const route = app.match(request);
        if (!route) {
            if (next) {
                return next();
            }
            res.writeHead(404).end();
            return;
        }
        const response = await app.render(request, { addCookieHeader: true, locals, routeData: route });
        await NodeApp.writeResponse(response, res);
    };
}

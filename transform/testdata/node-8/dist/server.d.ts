// Declarations as tsc writes them: the grammar cannot read the generic
// import type below, so identity steps leave .d.ts files out.
export declare function startServer(): {
    server: import("http").Server<typeof import("http").IncomingMessage>;
};

export interface UserOptions {
	/** Build a standalone server, or a middleware for another server. */
	mode: 'middleware' | 'standalone';
}

export interface Options extends UserOptions {
	host: string | boolean;
	port?: number;
}

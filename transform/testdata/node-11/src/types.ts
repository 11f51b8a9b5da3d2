export interface UserOptions {
	mode: 'middleware' | 'standalone';
	staticHeaders?: boolean;
	bodySizeLimit?: number;
}

export type Options = UserOptions & { host: string | boolean; port?: number };

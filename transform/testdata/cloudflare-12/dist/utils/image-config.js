function setImageConfig(service, config, command, logger) {
  switch (service) {
    case "passthrough":
      return { ...config, service: { entrypoint: "astro/assets/services/noop" } };
    case "cloudflare":
      return {
        ...config,
        service: command === "dev" ? config.service : { entrypoint: "@astrojs/cloudflare/image-service" }
      };
    default:
      logger.warn(`Unknown image service ${service} for @astrojs/cloudflare`);
      return { ...config, endpoint: { entrypoint: command === "dev" ? void 0 : "@astrojs/cloudflare/image-endpoint" } };
  }
}
export {
  setImageConfig
};

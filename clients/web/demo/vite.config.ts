import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The demo player. Point it at a server with ?server=<url> or
// VITE_BACKBEAT_URL; the default is 127.0.0.1:8080, where `backbeat serve`
// listens.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  // hls.js alone is ~500 kB minified.
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1024 },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});

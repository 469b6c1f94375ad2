// Vite builds the front end into ui/dist, which the release app embeds;
// Vitest runs the front-end tests in jsdom with the same plugins.
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  build: { target: "safari15", minify: true, outDir: "dist", emptyOutDir: true },
  // Svelte's browser build, not its server build, in the tests.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  test: { environment: "jsdom", include: ["src/**/*.test.ts"] },
}));

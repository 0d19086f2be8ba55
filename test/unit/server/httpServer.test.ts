import express from "express";
import type { AddressInfo } from "node:net";
import { createHttpServer } from "../../../server/app";

describe("the HTTP server of an Express app", () => {
  test("when a request is served, then its request and response already have Express's prototypes, and Express works on them as usual", async () => {
    const app = express();
    const seen: boolean[] = [];
    app.get("/echo/:name", (req, res) => {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
      res.status(201).json({ name: req.params["name"], q: req.query["q"], agent: req.get("x-test") });
    });
    const server = createHttpServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`http://127.0.0.1:${String(port)}/echo/eu-west-1?q=${String(i)}`, { headers: { "x-test": "yes" } });
        expect(r.status).toBe(201);
        expect(await r.json()).toEqual({ name: "eu-west-1", q: String(i), agent: "yes" });
      }
      expect(seen).toEqual([true, true, true, true, true, true]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });
});

export * from "./data/site.js";

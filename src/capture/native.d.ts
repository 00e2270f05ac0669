/** `import x from "….so" with { type: "file" }` gives the file's path (embedded in compiled executables). */
declare module "*.so" {
  const path: string;
  export default path;
}

/** Embedded data files (`with { type: "file" }` gives a path that also works inside the compiled executable). */
declare module "*.tsv.gz" {
  const path: string;
  export default path;
}

/** SVG files are bundled as their source text (JupyterLab's builder does this). */
declare module '*.svg' {
  const source: string;
  export default source;
}

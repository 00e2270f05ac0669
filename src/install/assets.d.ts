/** The systemd unit is embedded as text (`import unit from "./netinsight.service" with { type: "text" }`). */
declare module "*.service" {
  const text: string;
  export default text;
}

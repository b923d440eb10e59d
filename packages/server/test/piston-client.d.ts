/** piston-client 1.0.2 ships no types: what the tests use of it, as its index.js defines it. */
declare module "piston-client" {
  interface PistonClient {
    runtimes(): Promise<unknown>;
    execute(language: string, code: string, config?: Record<string, unknown>): Promise<unknown>;
  }
  export default function piston(options?: { server?: string }): PistonClient;
}

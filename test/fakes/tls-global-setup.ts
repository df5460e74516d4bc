/**
 * vitest globalSetup: a throwaway certificate for the fake HTTPS servers (fake Microsoft Graph).
 *
 * Why here: the Graph SDK only sends the bearer token to https hosts, so the fake must be HTTPS, and
 * production code must trust it the same way it trusts graph.microsoft.com — through Node's default
 * CA store, not an agent option only tests would set. Node reads NODE_EXTRA_CA_CERTS once, at process
 * start, so it must be set before the test workers start: globalSetup runs in the main vitest process
 * before the `forks` pool spawns workers, and the workers inherit process.env. The key and cert paths
 * travel to the fakes in JITBOT_TEST_TLS_KEY / JITBOT_TEST_TLS_CERT.
 *
 * Sources: https://nodejs.org/api/cli.html#node_extra_ca_certsfile ("the well known 'root' CAs …
 * will be extended with the extra certificates in file"); https://vitest.dev/config/#globalsetup.
 * It is no fake of a service and enforces no rule of one.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "jitbot-tls-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-sha256",
      "-days",
      "2",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
  // Keep whatever extra CAs the machine already trusts: NODE_EXTRA_CA_CERTS takes a single file.
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  const bundle = join(dir, "extra-ca.pem");
  const prior = previous && existsSync(previous) ? `${readFileSync(previous, "utf8")}\n` : "";
  writeFileSync(bundle, prior + readFileSync(cert, "utf8"));

  process.env.NODE_EXTRA_CA_CERTS = bundle;
  process.env.JITBOT_TEST_TLS_KEY = key;
  process.env.JITBOT_TEST_TLS_CERT = cert;
  return () => {
    if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}

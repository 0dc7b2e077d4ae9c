/**
 * No Docker engine runs here, so the MinIO stack is checked as data: the services and their
 * wiring, and that every variable given to the dfs API is one the server reads and accepts.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, parseConfig } from '../../src/runtime/config.ts';

const compose = parse(await readFile('minio-compose.yml', 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;

/** Compose's `${VAR:-default}` as the default, which is what a plain `up` gives. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('minio-compose.yml', () => {
  it('runs four MinIO nodes as one erasure set with a drive volume each', () => {
    const nodes = ['minio1', 'minio2', 'minio3', 'minio4'];
    for (const name of nodes) {
      const node = services[name];
      expect(node.command).toContain('http://minio{1...4}/data{1...2}');
      expect(node.healthcheck.test.join(' ')).toContain('ready');
      expect(node.volumes).toEqual([`${name}-data1:/data1`, `${name}-data2:/data2`]);
      for (const volume of node.volumes) expect(compose.volumes).toHaveProperty(volume.split(':')[0]);
    }
  });

  it('puts one endpoint in front of the nodes and creates the bucket once they are healthy', () => {
    expect(services.s3.ports).toEqual(['9000:9000']);
    expect(Object.keys(services.s3.depends_on).sort()).toEqual(['minio1', 'minio2', 'minio3', 'minio4']);
    expect(services['create-bucket'].depends_on.s3.condition).toBe('service_healthy');
    expect(services['create-bucket'].command.join(' ')).toContain('mc mb --ignore-existing dfs/dfs');
  });

  it('starts the API after the bucket exists, with a health check and a named volume', () => {
    const dfs = services.dfs;
    expect(dfs.depends_on['create-bucket'].condition).toBe('service_completed_successfully');
    expect(dfs.ports).toEqual(['8787:8787']);
    expect(dfs.healthcheck.test.join(' ')).toContain('/readyz');
    expect(compose.volumes).toHaveProperty('dfs-index');
  });

  it('gives the API only variables the server knows, and a configuration it accepts', () => {
    const env = Object.fromEntries(Object.entries(services.dfs.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]));
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES, name).toContain(name);
    const config = parseConfig(env);
    expect(config.s3).toMatchObject({ endpoint: 'http://s3:9000', publicEndpoint: 'http://localhost:9000', bucket: 'dfs', forcePathStyle: true });
    expect(config.port).toBe(8787);
    expect(env.S3_BUCKET).toBe('dfs');
    // Docker kills what is still running when its stop period ends: the server's grace ends first.
    expect(Number.parseInt(services.dfs.stop_grace_period, 10)).toBeGreaterThan(config.stopGraceSeconds);
  });
});

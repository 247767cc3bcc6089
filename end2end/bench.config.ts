import config from './playwright.config';

// Benchmarks print figures; they are not part of the test suite (see bench/join-latency.sh).
export default { ...config, testDir: './bench', reporter: [['list']], timeout: 300_000 };

import { mainAsync } from '../src/cli/main';
mainAsync(process.argv.slice(2), (t) => process.stdout.write(t), (t) => process.stderr.write(t)).then((c) => { console.log('exit', c); process.exit(c); });

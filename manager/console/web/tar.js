// A folder chosen in the browser becomes a tar.gz (ustar, gzip by the
// browser's CompressionStream) the API's blueprint upload accepts.
const enc = new TextEncoder();

function header(name, size, mode) {
  const b = new Uint8Array(512);
  const put = (s, off, len) => b.set(enc.encode(s).slice(0, len), off);
  const oct = (n, len) => n.toString(8).padStart(len - 1, '0') + '\0';
  let prefix = '';
  if (name.length > 100) { const i = name.lastIndexOf('/', 155); prefix = name.slice(0, i); name = name.slice(i + 1); }
  put(name, 0, 100);
  put(oct(mode, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  b[156] = '0'.charCodeAt(0);
  put('ustar\0' + '00', 257, 8);
  put(prefix, 345, 155);
  let sum = 0;
  for (const x of b) sum += x;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return b;
}

// tarGz packs files ({path, file}) into a gzip-compressed tar Blob.
export async function tarGz(files) {
  const parts = [];
  for (const { path, file } of files) {
    const data = new Uint8Array(await file.arrayBuffer());
    parts.push(header(path, data.length, /\.(sh|py|bash)$/.test(path) ? 0o755 : 0o644), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const gz = new Blob(parts).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(gz).blob();
}

// folderFiles strips the chosen folder's own name from each path.
export function folderFiles(fileList) {
  return [...fileList].map((f) => ({ path: f.webkitRelativePath.split('/').slice(1).join('/'), file: f }))
    .filter((f) => f.path && !f.path.split('/').some((p) => p.startsWith('.')));
}

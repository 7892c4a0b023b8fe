// Uploading a document (issue #15), from the documents page and from the
// meeting room's 資料 tool: the file is the request's body, sent with
// XMLHttpRequest, which reports upload progress (fetch does not).

/**
 * Upload `file`; resolves with `{ ok, status, data }` as api() does.
 * `onProgress(percent)` while the bytes go; at 100 the server is making
 * page 1, which the answer waits for.
 */
export function uploadDocument(file, { shared = false, onProgress = () => {} } = {}) {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const query = new URLSearchParams({ name: file.name });
  if (shared) query.set("shared", "1");
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/documents?${query}`);
    if (csrf) xhr.setRequestHeader("x-csrf-token", csrf.content);
    xhr.setRequestHeader("content-type", file.type || "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data });
    });
    xhr.addEventListener("error", () => reject(new Error("network")));
    xhr.send(file);
  });
}

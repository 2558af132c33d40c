//! Upload benchmark: a 1 GiB file through `Files::upload` (`local_upload` + part `PUT`s)
//! against a storage stand-in on loopback, compared with plain `reqwest` `PUT`s of the same
//! parts at the same concurrency (the floor). `bench/upload/run.sh` drives it, together with
//! the Python SDK's upload helper (`bench/upload/sdk_upload.py`).
//!
//! ```text
//! upload-bench serve [PART_SIZE]            # stand-in: prints "PORT <n>", serves until killed
//! upload-bench gen FILE SIZE                # write a test file of SIZE bytes
//! upload-bench kit BASE FILE CONCURRENCY    # frameio-kit Files::upload
//! upload-bench floor-tokio-whole BASE FILE CONCURRENCY   # reqwest PUTs of the same parts:
//! upload-bench floor-pread-whole BASE FILE CONCURRENCY   #   whole part via tokio::fs / pread,
//! upload-bench floor-pread-stream BASE FILE CONCURRENCY  #   or streamed in 256 KiB preads
//! upload-bench stats BASE                   # bytes and parts the stand-in received
//! ```
//!
//! `kit` and the `floor-*` modes print one line: `<mode> <seconds> <MiB/s>`.

use std::io::{SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use frameio_kit::client::Client;
use frameio_kit::client::transfer::UploadOptions;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

type Error = Box<dyn std::error::Error + Send + Sync>;

const ACCOUNT: &str = "a1";
const FOLDER: &str = "f1";

#[derive(Default)]
struct Stats {
    bytes: AtomicU64,
    parts: AtomicU64,
}

struct Standin {
    part_size: u64,
    stats: Stats,
}

/// `POST …/files/local_upload`: parts of `part_size` bytes (the last one shorter), each a
/// `PUT /part/{i}` on this server.
async fn local_upload(
    req: HttpRequest,
    body: web::Json<Value>,
    st: web::Data<Standin>,
) -> HttpResponse {
    let Some(size) = body["data"]["file_size"].as_u64() else {
        return HttpResponse::UnprocessableEntity().finish();
    };
    let name = body["data"]["name"].as_str().unwrap_or("file").to_owned();
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let mut urls = Vec::new();
    let mut offset = 0;
    let mut i = 0;
    while offset < size {
        let len = st.part_size.min(size - offset);
        urls.push(json!({"size": len, "url": format!("{base}/part/{i}")}));
        offset += len;
        i += 1;
    }
    HttpResponse::Created().json(json!({"data": {
        "id": "file-1", "name": name, "file_size": size, "type": "file",
        "media_type": "application/octet-stream", "status": "created", "upload_urls": urls
    }}))
}

/// `PUT /part/{i}`: stream the body, count it, answer 200. Refuses a bearer token, like S3
/// with a presigned URL would mis-sign it.
async fn put_part(
    req: HttpRequest,
    mut payload: web::Payload,
    st: web::Data<Standin>,
) -> HttpResponse {
    if req.headers().contains_key("authorization") {
        return HttpResponse::Forbidden().finish();
    }
    let mut n = 0u64;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(c) => n += c.len() as u64,
            Err(_) => return HttpResponse::BadRequest().finish(),
        }
    }
    st.stats.bytes.fetch_add(n, Ordering::Relaxed);
    st.stats.parts.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Ok().finish()
}

async fn stats(st: web::Data<Standin>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "bytes": st.stats.bytes.load(Ordering::Relaxed),
        "parts": st.stats.parts.load(Ordering::Relaxed),
    }))
}

fn serve(part_size: u64) -> Result<(), Error> {
    let state = web::Data::new(Standin {
        part_size,
        stats: Stats::default(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    println!("PORT {port}");
    std::io::stdout().flush()?;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route(
                    "/v4/accounts/{a}/folders/{f}/files/local_upload",
                    web::post().to(local_upload),
                )
                .route("/part/{i}", web::put().to(put_part))
                .route("/stats", web::get().to(stats))
        })
        .workers(2)
        .listen(listener)?
        .run()
        .await
    })?;
    Ok(())
}

fn gen_file(path: &str, size: u64) -> Result<(), Error> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for b in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.flush()?;
    Ok(())
}

fn report(mode: &str, size: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{mode} {secs:.3} {:.1}",
        size as f64 / (1 << 20) as f64 / secs
    );
}

async fn kit(base: &str, path: &str, concurrency: usize) -> Result<(), Error> {
    let size = tokio::fs::metadata(path).await?.len();
    let client = Client::builder().token("bench").base_url(base).build()?;
    let started = Instant::now();
    let file = client
        .files()
        .upload(
            ACCOUNT,
            FOLDER,
            "bench.bin",
            std::path::PathBuf::from(path),
            UploadOptions::default().concurrency(concurrency),
        )
        .await?;
    report("kit", file.file_size, started);
    assert_eq!(file.file_size, size);
    Ok(())
}

/// How a floor run gets each part's bytes.
#[derive(Clone, Copy)]
enum Read {
    /// `tokio::fs` seek + `read_exact` of the whole part into a `Vec`.
    TokioWhole,
    /// `pread` of the whole part on the blocking pool (`spawn_blocking`), one buffer.
    BlockingWhole,
    /// A streamed body of 256 KiB `pread`s on the blocking pool.
    BlockingStream,
}

async fn part_body(
    path: Arc<String>,
    offset: u64,
    len: u64,
    read: Read,
) -> Result<reqwest::Body, Error> {
    use std::os::unix::fs::FileExt;
    Ok(match read {
        Read::TokioWhole => {
            let mut f = tokio::fs::File::open(path.as_str()).await?;
            f.seek(SeekFrom::Start(offset)).await?;
            let mut buf = vec![0u8; len as usize];
            f.read_exact(&mut buf).await?;
            reqwest::Body::from(buf)
        }
        Read::BlockingWhole => {
            let buf = tokio::task::spawn_blocking(move || {
                let f = std::fs::File::open(path.as_str())?;
                let mut buf = vec![0u8; len as usize];
                f.read_exact_at(&mut buf, offset)?;
                Ok::<_, std::io::Error>(buf)
            })
            .await??;
            reqwest::Body::from(buf)
        }
        Read::BlockingStream => {
            let f = Arc::new(std::fs::File::open(path.as_str())?);
            let stream = futures_util::stream::try_unfold(0u64, move |done| {
                let f = f.clone();
                async move {
                    if done == len {
                        return Ok(None);
                    }
                    let n = (len - done).min(256 << 10) as usize;
                    let chunk = tokio::task::spawn_blocking(move || {
                        let mut buf = vec![0u8; n];
                        f.read_exact_at(&mut buf, offset + done)?;
                        Ok::<_, std::io::Error>(bytes::Bytes::from(buf))
                    })
                    .await
                    .map_err(std::io::Error::other)??;
                    Ok::<_, std::io::Error>(Some((chunk, done + n as u64)))
                }
            });
            reqwest::Body::wrap_stream(stream)
        }
    })
}

/// The floor: the same `local_upload` call and the same part `PUT`s with plain `reqwest`
/// and no retries, progress or checks, reading each part as `read` says.
async fn floor(base: &str, path: &str, concurrency: usize, read: Read) -> Result<(), Error> {
    let size = tokio::fs::metadata(path).await?.len();
    let http = reqwest::Client::new();
    let started = Instant::now();
    let created: Value = http
        .post(format!(
            "{base}/v4/accounts/{ACCOUNT}/folders/{FOLDER}/files/local_upload"
        ))
        .bearer_auth("bench")
        .json(&json!({"data": {"name": "bench.bin", "file_size": size}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut parts = Vec::new();
    let mut offset = 0u64;
    for u in created["data"]["upload_urls"]
        .as_array()
        .ok_or("no upload_urls")?
    {
        let len = u["size"].as_u64().ok_or("no size")?;
        let url = u["url"].as_str().ok_or("no url")?.to_owned();
        parts.push((url, offset, len));
        offset += len;
    }
    let http = &http;
    let path = Arc::new(path.to_owned());
    let mut results = futures_util::stream::iter(parts)
        .map(|(url, offset, len)| {
            let path = path.clone();
            async move {
                let body = part_body(path, offset, len, read).await?;
                http.put(url)
                    .header("x-amz-acl", "private")
                    .header("content-type", "application/octet-stream")
                    .header("content-length", len)
                    .body(body)
                    .send()
                    .await?
                    .error_for_status()?;
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(concurrency);
    while let Some(r) = results.next().await {
        r?;
    }
    let mode = match read {
        Read::TokioWhole => "floor-tokio-whole",
        Read::BlockingWhole => "floor-pread-whole",
        Read::BlockingStream => "floor-pread-stream",
    };
    report(mode, size, started);
    Ok(())
}

async fn print_stats(base: &str) -> Result<(), Error> {
    let v: Value = reqwest::get(format!("{base}/stats")).await?.json().await?;
    println!("bytes {} parts {}", v["bytes"], v["parts"]);
    Ok(())
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> Result<&str, Error> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the module docs").into())
    };
    let rt = || tokio::runtime::Runtime::new();
    match arg(0)? {
        "serve" => serve(args.get(1).map_or(Ok(32 << 20), |s| s.parse())?),
        "gen" => gen_file(arg(1)?, arg(2)?.parse()?),
        "kit" => rt()?.block_on(kit(arg(1)?, arg(2)?, arg(3)?.parse()?)),
        "floor-tokio-whole" => {
            rt()?.block_on(floor(arg(1)?, arg(2)?, arg(3)?.parse()?, Read::TokioWhole))
        }
        "floor-pread-whole" => rt()?.block_on(floor(
            arg(1)?,
            arg(2)?,
            arg(3)?.parse()?,
            Read::BlockingWhole,
        )),
        "floor-pread-stream" => rt()?.block_on(floor(
            arg(1)?,
            arg(2)?,
            arg(3)?.parse()?,
            Read::BlockingStream,
        )),
        "stats" => rt()?.block_on(print_stats(arg(1)?)),
        other => Err(format!("unknown command {other:?}").into()),
    }
}

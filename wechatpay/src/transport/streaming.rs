//! A send whose successful answer's body is handed back unread, for bills,
//! which can be far larger than the answer-size cap and are better not held
//! in memory at all.
//!
//! The connection stays with the body ([`BodyStream`]): reading a chunk also
//! drives the connection, in the reader's task, as every call here does. The
//! connection is not pooled afterwards; bills are rare enough that a fresh
//! connection costs nothing worth the bookkeeping.

use std::time::Duration;

use bytes::Bytes;
use http::header;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{Stage, StageCell, Transport, closes, collect, pool::Connection};
use crate::{Error, Response, error::Reach, request::Request};

/// The body of an answer, read chunk by chunk as it arrives.
pub(crate) struct BodyStream {
    body: Incoming,
    conn: Connection,
    /// The longest wait for the next chunk: the call's timeout, applied to
    /// each chunk, since a large bill may take longer than that in all.
    idle: Duration,
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl BodyStream {
    /// The next chunk of data, `None` at the end.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let next = self.conn.io.drive(self.body.frame());
            let frame = tokio::time::timeout(self.idle, next)
                .await
                .map_err(|_| Error::timeout(self.idle, false, Reach::Answered))?;
            let Some(frame) = frame else {
                return Ok(None);
            };
            let frame = frame.map_err(|e| Error::body("the answer's body was cut off", e))?;
            if let Ok(data) = frame.into_data() {
                if !data.is_empty() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

impl Transport {
    /// Sends `request`; a 2xx or 3xx answer comes back with an empty body and
    /// its body as a [`BodyStream`], any other answer whole (within the cap)
    /// so that it reads as the API error it is. The call's timeout bounds the
    /// wait for the answer's head, then each chunk.
    pub(crate) async fn send_streaming(
        &self,
        request: Request,
    ) -> Result<(Response, Option<BodyStream>), Error> {
        let (timeout, progress, security) = self.settings(&request);
        let stage = StageCell::default();
        let exchange = self.exchange(request, security, &progress, &stage);
        let (key, mut conn, head) = match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r?,
            Err(_) => return Err(Self::timed_out(timeout, stage.get(), &progress)),
        };
        debug_assert!(stage.get() == Stage::Answered);
        let (parts, body) = head.into_parts();
        if parts.status.is_success() || parts.status.is_redirection() {
            let stream = BodyStream {
                body,
                conn,
                idle: timeout,
            };
            return Ok((Response::from_parts(parts, Bytes::new()), Some(stream)));
        }
        let keep_alive = !closes(&parts.headers);
        let length = parts.headers.get(header::CONTENT_LENGTH);
        let whole = async { collect(body, length, self.max_body).await };
        let body = tokio::time::timeout(timeout, conn.io.drive(whole))
            .await
            .map_err(|_| Error::timeout(timeout, false, Reach::Answered))??;
        if keep_alive {
            self.pool.checkin(key, conn);
        }
        Ok((Response::from_parts(parts, body), None))
    }
}

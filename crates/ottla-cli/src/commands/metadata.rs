//! `ottla metadata`.

use std::io::Write;

use super::{connect, CmdResult};
use crate::args::MetadataArgs;
use crate::output;

pub async fn run(props: &ottla::Properties, args: MetadataArgs) -> CmdResult {
    let client = connect(props, &[]).await?;
    let m = client.refresh_metadata().await?;
    let text = if args.json {
        output::metadata_json(&m, args.topic.as_deref())?
    } else {
        output::metadata_text(&m, args.topic.as_deref())
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

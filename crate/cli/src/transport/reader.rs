//! Registry reads over the native transport: [`NativeReader`] (the core's
//! [`RegistryReader`]) and the runners for read helpers and blob downloads.

use airlock_core::digest::Digest;
use airlock_core::discover::RegistryReader;
use airlock_core::reference::{Reference, Repository};
use airlock_core::registry::download::{Downloaded, Downloads};
use airlock_core::registry::read::{FetchedImage, LocationsImage, Read as ReadHelper, ReadOutput};
use airlock_core::registry::{Client, RegistryError};

use super::NativeTransport;

/// Runs a read helper to the end.
pub fn run_read(
    transport: &NativeTransport,
    read: &mut ReadHelper,
) -> Result<ReadOutput, RegistryError> {
    transport
        .drive(read, &mut |_| {})
        .map_err(RegistryError::from)?;
    read.take_result()
        .unwrap_or_else(|| Err(RegistryError::NoResult { what: "read" }))
}

/// [`RegistryReader`] over this transport: each read runs to the end with
/// [`run_read`], reusing one client (and its tokens).
pub struct NativeReader<'t> {
    transport: &'t NativeTransport,
    client: Option<Client>,
}

impl<'t> NativeReader<'t> {
    pub fn new(transport: &'t NativeTransport, client: Client) -> NativeReader<'t> {
        NativeReader {
            transport,
            client: Some(client),
        }
    }

    /// The client back, with its cached tokens.
    pub fn into_client(self) -> Client {
        self.client.expect("client present between reads")
    }

    fn run(
        &mut self,
        make: impl FnOnce(Client) -> ReadHelper,
    ) -> Result<ReadOutput, RegistryError> {
        let client = self.client.take().expect("client present between reads");
        let mut read = make(client);
        let r = run_read(self.transport, &mut read);
        self.client = Some(read.into_client());
        r
    }
}

fn unexpected(o: ReadOutput) -> RegistryError {
    RegistryError::unexpected(&o, "of a read")
}

impl RegistryReader for NativeReader<'_> {
    async fn fetch_image(
        &mut self,
        reference: &Reference,
        with_config: bool,
    ) -> Result<Option<FetchedImage>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_image(c, reference, with_config))? {
            ReadOutput::Image(i) => Ok(i),
            o => Err(unexpected(o)),
        }
    }

    async fn fetch_blob(
        &mut self,
        repository: &Repository,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_blob(c, repository, digest, max))? {
            ReadOutput::Blob(b) => Ok(b),
            o => Err(unexpected(o)),
        }
    }

    async fn exists(
        &mut self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        match self.run(|c| ReadHelper::exists(c, repository, digest))? {
            ReadOutput::Exists(b) => Ok(b),
            o => Err(unexpected(o)),
        }
    }

    async fn fetch_locations(
        &mut self,
        repository: &Repository,
        bundle: &Digest,
    ) -> Result<Option<LocationsImage>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_locations(c, repository, bundle))? {
            ReadOutput::Locations(l) => Ok(l),
            o => Err(unexpected(o)),
        }
    }
}

/// Runs blob downloads into the transport's output file; `on_done` gets
/// each finished blob.
pub fn run_downloads(
    transport: &NativeTransport,
    downloads: &mut Downloads,
    on_done: &mut dyn FnMut(Downloaded),
) -> Result<(), RegistryError> {
    let drive = transport.drive(downloads, &mut |d: &mut Downloads| {
        while let Some(x) = d.poll_done() {
            on_done(x);
        }
    });
    while let Some(x) = downloads.poll_done() {
        on_done(x);
    }
    drive.map_err(RegistryError::from)?;
    downloads
        .result()
        .unwrap_or_else(|| Err(RegistryError::NoResult { what: "downloads" }))
}

//! The [`Store`] trait and how a use case's closure becomes one transaction.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use crate::{Reader, StoreError, Writer};

/// The future a use case's closure returns: it borrows the transaction.
pub type TxFuture<'a, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'a>>;

/// A type-erased result, so that one writer can run use cases of any type.
pub(crate) type Erased = Box<dyn Any + Send>;

/// A type-erased use case, run by a backend inside a transaction.
pub(crate) type WorkFuture<'a> = Pin<Box<dyn Future<Output = Result<Erased, Erased>> + Send + 'a>>;

/// A use case's closure with its types erased.
pub trait Work: Send + 'static {
    /// Runs the closure on the transaction.
    fn run<'a>(self: Box<Self>, tx: &'a mut dyn Writer) -> WorkFuture<'a>;
}

/// A typed use case closure, erased into a [`Work`].
struct Typed<F, T, E> {
    f: F,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<F, T, E> Work for Typed<F, T, E>
where
    T: Send + 'static,
    E: Send + 'static,
    F: for<'a> FnOnce(&'a mut dyn Writer) -> TxFuture<'a, T, E> + Send + 'static,
{
    fn run<'a>(self: Box<Self>, tx: &'a mut dyn Writer) -> WorkFuture<'a> {
        let future = (self.f)(tx);
        Box::pin(async move {
            match future.await {
                Ok(value) => Ok(Box::new(value) as Erased),
                Err(error) => Err(Box::new(error) as Erased),
            }
        })
    }
}

/// Runs a future, turning a panic inside it into an error, so that one
/// broken use case cannot end the task that runs it (the SQLite writer
/// serves every use case of the process).
pub(crate) struct CatchUnwind<F>(pub(crate) Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => {
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                std::task::Poll::Ready(Err(why))
            }
        }
    }
}

/// Why a write did not commit.
pub enum WriteError {
    /// The closure returned an error; its changes were rolled back.
    Work(Erased),
    /// The store failed (begin, commit, connection); nothing was committed.
    Store(StoreError),
}

impl fmt::Debug for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Work(_) => f.write_str("WriteError::Work(..)"),
            WriteError::Store(e) => write!(f, "WriteError::Store({e:?})"),
        }
    }
}

/// A database: readers for queries, one transaction per use case for changes.
#[async_trait::async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// A handle for reads. Readers never wait for the writer.
    async fn reader(&self) -> Result<Box<dyn Reader>, StoreError>;

    /// Runs `work` in a transaction and answers after the commit.
    /// Use [`StoreExt::write`] rather than this.
    async fn write_work(&self, work: Box<dyn Work>) -> Result<Erased, WriteError>;

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// `sqlite` or `postgres`, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// A checker for the audit chain, holding this instance's audit key.
    fn audit_check(&self) -> crate::audit::AuditCheck;

    /// How busy the connection pool is (for `/metrics`).
    fn pool_use(&self) -> crate::operations::PoolUse;

    /// How many writes this process has asked for since the store opened:
    /// background work that should yield to the rest (the search indexer)
    /// reads it twice, and did not wait for anyone when it has not moved.
    fn writes_asked(&self) -> u64;

    /// Finishes pending writes and closes connections.
    async fn close(&self);
}

/// Typed access to [`Store::write_work`].
#[async_trait::async_trait]
pub trait StoreExt {
    /// Runs `f` inside one transaction. If it returns `Err`, everything it
    /// changed is rolled back and the error is returned; if it returns `Ok`,
    /// the value is returned once the transaction has committed.
    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Writer) -> TxFuture<'a, T, E> + Send + 'static;
}

#[async_trait::async_trait]
impl<S: Store + ?Sized> StoreExt for S {
    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Writer) -> TxFuture<'a, T, E> + Send + 'static,
    {
        let work = Typed { f, _types: PhantomData };
        let mismatch = || E::from(StoreError::Other("a write returned a value of an unexpected type".into()));
        match self.write_work(Box::new(work)).await {
            Ok(value) => value.downcast::<T>().map(|v| *v).map_err(|_| mismatch()),
            Err(WriteError::Work(error)) => Err(error.downcast::<E>().map(|e| *e).unwrap_or_else(|_| mismatch())),
            Err(WriteError::Store(error)) => Err(E::from(error)),
        }
    }
}

//! A place for one callback: the App puts its handler here, and code that runs outside Yew
//! (the outbox, the host page's commands) calls it.

use std::cell::RefCell;

type Handler<T> = Box<dyn Fn(T)>;

pub struct Slot<T>(RefCell<Option<Handler<T>>>);

impl<T> Slot<T> {
    pub const fn new() -> Slot<T> {
        Slot(RefCell::new(None))
    }

    pub fn set(&self, handler: impl Fn(T) + 'static) {
        *self.0.borrow_mut() = Some(Box::new(handler));
    }

    /// Calls the handler; gives the value back if there is none yet.
    pub fn call(&self, value: T) -> Result<(), T> {
        match self.0.borrow().as_ref() {
            Some(handler) => {
                handler(value);
                Ok(())
            }
            None => Err(value),
        }
    }
}

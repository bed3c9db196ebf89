//! The direct strategy: one request per item (images, then the rendered prompt), the
//! response text is the answer.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Outcome, Strategy, encode, prompt};
use crate::adapter::{Message, Part, Request, Role};
use crate::schedule::Dispatcher;
use crate::suite::Item;

/// One call per item with the suite's prompt template.
pub struct Direct {
    pub template: String,
    /// From the model card: resize images whose longer side exceeds this.
    pub image_max_side: Option<u32>,
}

impl Direct {
    /// The request for an item; fails only if an image cannot be prepared.
    pub fn request(&self, item: &Item) -> Result<Request, String> {
        let mut parts = Vec::with_capacity(item.images.len() + 1);
        for image in &item.images {
            parts.push(Part::Image {
                image: encode::encode(image, self.image_max_side)?,
            });
        }
        parts.push(Part::Text {
            text: prompt::render(&self.template, item),
        });
        Ok(Request {
            messages: vec![Message {
                role: Role::User,
                parts,
            }],
            sampling: Default::default(),
        })
    }
}

impl Strategy for Direct {
    fn id(&self) -> String {
        format!("direct|{}", self.template)
    }

    fn run<'a>(&'a self, item: &'a Item, dispatcher: &'a Dispatcher) -> BoxFuture<'a, Outcome> {
        async move {
            let request = match self.request(item) {
                Ok(r) => r,
                Err(e) => {
                    return Outcome {
                        answer: Err(e),
                        calls: vec![],
                    };
                }
            };
            let call = dispatcher.call(&request).await;
            let answer = call.result.clone().map(|r| r.text);
            Outcome {
                answer,
                calls: vec![call],
            }
        }
        .boxed()
    }
}

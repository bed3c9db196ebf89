//! The direct strategy: one request per item (images, then the rendered prompt), the
//! response text is the answer.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Answer, Calls, Strategy, encode, prompt};
use crate::adapter::{Part, Request};
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
        Ok(Request::user(parts))
    }
}

impl Strategy for Direct {
    fn id(&self) -> String {
        format!("direct|{}", self.template)
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        async move {
            let request = self.request(item)?;
            calls.answer(&request).await.result.map(|r| r.text.into())
        }
        .boxed()
    }
}

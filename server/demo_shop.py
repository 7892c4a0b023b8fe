"""A small demo shop that ``tsunagu run --demo`` serves on a second origin, with the
snippet installed, so a newcomer can try screen support end to end: open it
in a phone-sized window, get a number, type it into the console, and watch
captures arrive. The checkout has a password and a card-number field to show
that their values are masked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from server.console.rendering import TEMPLATES_DIR
from server.storage.models import Site, SiteOrigin
from server.web.app import favicon


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    price: int
    description: str


PRODUCTS = [
    Product("tea", "静岡煎茶 100g", 1280, "香り高い一番摘みの煎茶です。"),
    Product("cup", "有田焼 湯のみ", 3300, "手描きの藍色が美しい湯のみです。"),
    Product("towel", "今治タオル", 1650, "吸水性に優れた、ふんわりタオルです。"),
]


async def site_key_for(db: AsyncSession, origin: str) -> str | None:
    """The key of an active site that allows ``origin``, if any."""
    return await db.scalar(
        select(Site.site_key)
        .join(SiteOrigin, SiteOrigin.site_id == Site.id)
        .where(SiteOrigin.origin == origin, Site.is_active)
        .limit(1)
    )


def create_demo_shop(server_url: str, site_key: str | None, origin: str) -> Starlette:
    templates = Jinja2Templates(directory=TEMPLATES_DIR / "demo")

    def page(request: Request, name: str, **context: object) -> Response:
        return templates.TemplateResponse(
            request,
            name,
            {
                "server_url": server_url.rstrip("/"),
                "site_key": site_key,
                "origin": origin,
                "products": PRODUCTS,
                **context,
            },
        )

    async def index(request: Request) -> Response:
        return page(request, "index.html", title="商品一覧")

    async def product(request: Request) -> Response:
        found = next((p for p in PRODUCTS if p.slug == request.path_params["slug"]), None)
        if found is None:
            raise HTTPException(404)
        return page(request, "product.html", title=found.name, product=found)

    async def cart(request: Request) -> Response:
        items = PRODUCTS[:2]
        return page(
            request, "cart.html", title="カート", items=items, total=sum(p.price for p in items)
        )

    async def checkout(request: Request) -> Response:
        return page(request, "checkout.html", title="ご注文手続き")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/products/{slug}", product),
            Route("/cart", cart),
            Route("/checkout", checkout),
            # The shop is a page of Tsunagu's demo: it wears Tsunagu's icon.
            Route("/favicon.ico", favicon),
        ]
    )

// The measured page: a product listing with nested components, rendered to a string.
// Shared unchanged by the Deno entry and the wasm entry.
import { renderToString } from 'react-dom/server';
import type { Catalogue, Category, Product } from './data.ts';

function formatPrice(cents: number): string {
  const whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `$${whole}.${(cents % 100).toString().padStart(2, '0')}`;
}

function Price({ product }: { product: Product }) {
  const onSale = product.priceCents < product.listPriceCents;
  return (
    <td className={onSale ? 'sale' : undefined}>
      {formatPrice(product.priceCents)}
      {onSale && <s>{formatPrice(product.listPriceCents)}</s>}
    </td>
  );
}

function Rating({ value, reviews }: { value: number; reviews: number }) {
  return <td title={`${reviews} reviews`}>{value.toFixed(1)}</td>;
}

function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null;
  return (
    <>
      {tags.map((tag) => (
        <i key={tag}>{tag}</i>
      ))}
    </>
  );
}

function Stock({ count }: { count: number }) {
  if (count === 0) return <td className="out">sold out</td>;
  if (count < 5) return <td className="low">{`${count} left`}</td>;
  return <td>in stock</td>;
}

function ProductRow({ product }: { product: Product }) {
  return (
    <tr id={`p${product.id}`}>
      <td>
        <a href={`/p/${product.id}`}>{product.name}</a>
        <Tags tags={product.tags} />
      </td>
      <td>{product.brand}</td>
      <Price product={product} />
      <Rating value={product.rating} reviews={product.reviews} />
      <Stock count={product.stock} />
    </tr>
  );
}

function Sidebar({ categories, brands }: { categories: Category[]; brands: string[] }) {
  return (
    <aside>
      <h2>Categories</h2>
      <ul>
        {categories.map((c) => (
          <li key={c.slug}>
            <a href={`/c/${c.slug}`}>{`${c.label} (${c.count})`}</a>
          </li>
        ))}
      </ul>
      <h2>Brands</h2>
      <ul>
        {brands.map((b) => (
          <li key={b}>
            <label>
              <input type="checkbox" name="brand" value={b} />
              {b}
            </label>
          </li>
        ))}
      </ul>
    </aside>
  );
}

export function CataloguePage({ catalogue }: { catalogue: Catalogue }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <title>{catalogue.title}</title>
      </head>
      <body>
        <header>
          <nav>
            <a href="/">Home</a> <a href="/deals">Deals</a> <a href="/cart">Cart</a>
          </nav>
          <h1>{catalogue.title}</h1>
        </header>
        <main>
          <Sidebar categories={catalogue.categories} brands={catalogue.brands} />
          <table className="products">
            <thead>
              <tr>
                <th>Product</th>
                <th>Brand</th>
                <th>Price</th>
                <th>Rating</th>
                <th>Availability</th>
              </tr>
            </thead>
            <tbody>
              {catalogue.products.map((p) => (
                <ProductRow key={p.id} product={p} />
              ))}
            </tbody>
          </table>
        </main>
        <footer id="end-of-page">{`${catalogue.products.length} products`}</footer>
      </body>
    </html>
  );
}

export function renderCataloguePage(catalogue: Catalogue): string {
  return '<!DOCTYPE html>' + renderToString(<CataloguePage catalogue={catalogue} />);
}

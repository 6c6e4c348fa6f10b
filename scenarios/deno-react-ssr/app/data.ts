// Deterministic catalogue data: a seeded PRNG, no clocks, no locale formatting, so every
// runtime (Deno's V8, StarlingMonkey in wasm) renders byte-identical HTML.

export interface Product {
  id: number;
  sku: string;
  name: string;
  brand: string;
  category: string;
  priceCents: number;
  listPriceCents: number;
  rating: number;
  reviews: number;
  stock: number;
  tags: string[];
}

export interface Category {
  slug: string;
  label: string;
  count: number;
}

export interface Catalogue {
  title: string;
  products: Product[];
  categories: Category[];
  brands: string[];
}

const ADJECTIVES = ['Compact', 'Rugged', 'Quiet', 'Smart', 'Classic', 'Ultra', 'Eco', 'Pro', 'Mini', 'Heavy-duty', 'Wireless', 'Modular'];
const NOUNS = ['Kettle', 'Lamp', 'Backpack', 'Headphones', 'Drill', 'Blender', 'Chair', 'Monitor', 'Tent', 'Jacket', 'Router', 'Skillet', 'Keyboard', 'Bottle'];
const BRANDS = ['Acme', 'Northwind', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark & Co', 'Wayne <Tools>'];
const CATEGORIES = ['Kitchen', 'Outdoor', 'Office', 'Audio', 'Tools', 'Lighting'];
const TAGS = ['new', 'sale', 'eco', 'bestseller', 'limited', 'refurbished', '"gift" idea'];

/** mulberry32: tiny, fast, and identical on every JS engine */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

export const PRODUCT_COUNT = 200;

export function buildCatalogue(seed = 20240611, count = PRODUCT_COUNT): Catalogue {
  const random = seededRandom(seed);
  const products: Product[] = [];
  for (let i = 0; i < count; i++) {
    const priceCents = 199 + Math.floor(random() * 49_800);
    const discounted = random() < 0.3;
    const tagCount = Math.floor(random() * 3);
    const tags: string[] = [];
    for (let t = 0; t < tagCount; t++) {
      const tag = pick(random, TAGS);
      if (!tags.includes(tag)) tags.push(tag);
    }
    products.push({
      id: i + 1,
      sku: `SKU-${(100_000 + i * 37).toString(36).toUpperCase()}`,
      name: `${pick(random, ADJECTIVES)} ${pick(random, NOUNS)}`,
      brand: pick(random, BRANDS),
      category: pick(random, CATEGORIES),
      priceCents: discounted ? Math.floor(priceCents * 0.8) : priceCents,
      listPriceCents: priceCents,
      rating: Math.round((1 + random() * 4) * 10) / 10,
      reviews: Math.floor(random() * 2_000),
      stock: Math.floor(random() * 40),
      tags,
    });
  }
  const categories = CATEGORIES.map((label) => ({
    slug: label.toLowerCase(),
    label,
    count: products.filter((p) => p.category === label).length,
  }));
  return { title: 'Catalogue — all products', products, categories, brands: [...BRANDS] };
}

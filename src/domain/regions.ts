import regionsTable from './regions.json' with { type: 'json' };

/**
 * Where push provisioning is offered: Mastercard Checkout Solutions'
 * regional availability table (a copy of the product's regions.json).
 * Country codes are ISO 3166-1 alpha-2.
 */
type Region = keyof typeof regionsTable.regions;

const byCountry = new Map<string, Region>();
for (const [region, countries] of Object.entries(regionsTable.regions) as [Region, string[]][]) {
  for (const country of countries) byCountry.set(country, region);
}

export const servedCountries = (): readonly string[] => [...byCountry.keys()];

export const isServedCountry = (country: string): boolean => byCountry.has(country.toUpperCase());

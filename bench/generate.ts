/** Deterministic generated customers for the benchmarks: realistic field mix, unique keys. */
import type { CustomerRequest } from "../src/domain/requests.js";

const FIRST = ["Ann", "Bo", "Carla", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon"];
const LAST = ["Smith", "Jones", "García", "Okafor", "Nguyen", "Müller", "Rossi", "Kowalski"];
const CITIES = [
  ["Solon", "OH", "44139"],
  ["Doylestown", "PA", "18901"],
  ["Oklahoma City", "OK", "49136"],
] as const;

export function generatedCustomer(index: number): CustomerRequest {
  const first = FIRST[index % FIRST.length]!;
  const last = LAST[(index * 7) % LAST.length]!;
  const [city, territory, postalCode] = CITIES[index % CITIES.length]!;
  return {
    retailStoreID: String(100 + (index % 50)),
    signupDate: "2020-12-02",
    affiliation: { retailStoreID: String(200 + (index % 20)) },
    individual: {
      salutation: index % 2 === 0 ? "MR" : "ms",
      names: { FIRST: first.toLowerCase(), LAST: last },
      addresses: [
        {
          typeCode: "HOME",
          primaryFlag: true,
          addressLine1: `${index} Main St`,
          city,
          territory,
          postalCode,
          country: "US",
        },
      ],
      emails: [
        { typeCode: "HOME", primaryFlag: true, emailAddress: `customer${index}@example.com` },
      ],
      telephones: [
        {
          typeCode: "HOME",
          primaryFlag: true,
          phoneNumber: `(440) 555-${String(index % 10_000).padStart(4, "0")}`,
        },
      ],
      genderType: index % 2 === 0 ? "M" : "F",
      birthDate: "1980-04-16",
    },
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID: `T${String(index).padStart(9, "0")}` }],
  };
}

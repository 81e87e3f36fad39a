/**
 * The `<Individual>` element of a `<Customer>` block as `IndividualInput` (seeds/003): names,
 * personal values and profile, and the contact entries (addresses, e-mails, telephones).
 */
import {
  parseNameLocation,
  type AddressInput,
  type EmailInput,
  type IndividualInput,
  type TelephoneInput,
} from "../domain/requests.js";
import { childrenNamed, repeatedElement, type XmlElement } from "./xml-elements.js";
import { containerOf, entryUpdateType, flag, textOf } from "./block-fields.js";

export function individualInput(individual: XmlElement): IndividualInput {
  const input: IndividualInput = {
    suffix: textOf(individual, "Suffix"),
    salutation: textOf(individual, "Salutation"),
    nickName: textOf(individual, "NickName") ?? textOf(individual, "Nickname"),
  };
  const names = containerOf(individual, "Name");
  if (names) {
    input.names = {};
    const seen = new Map<string, XmlElement>();
    for (const name of childrenNamed(names, "Name")) {
      const location = parseNameLocation(name.attributes.Location, `<Name> (line ${name.line})`);
      const earlier = seen.get(location);
      if (earlier) throw repeatedElement(names, `names with Location="${location}"`, earlier, name);
      seen.set(location, name);
      input.names[location] = name.text === "" ? undefined : name.text;
    }
  }
  const contact = containerOf(individual, "ContactInformation");
  if (contact) {
    input.addresses = childrenNamed(contact, "Address").map(addressInput);
    input.emails = childrenNamed(contact, "EMail").map(emailInput);
    input.telephones = childrenNamed(contact, "Telephone").map(telephoneInput);
  }
  const summary = containerOf(individual, "PersonalSummary");
  if (summary) {
    input.genderType = textOf(summary, "GenderType");
    input.birthDate = textOf(summary, "BirthDate");
    input.anniversary = textOf(summary, "Anniversary");
    input.maritalStatusCode = textOf(summary, "MaritalStatusCode");
    input.ethnicity = textOf(summary, "Ethnicity");
    input.rent = flag(textOf(summary, "Rent"), "Rent");
    input.languageCode = textOf(summary, "LanguageCode");
  }
  const profile = containerOf(individual, "SocioEconomicProfile");
  if (profile) {
    input.highestEducationalLevelName = textOf(profile, "HighestEducationalLevelName");
    input.annualIncomeAmount = textOf(profile, "AnnualIncomeAmount");
    input.netWorth = textOf(profile, "NetWorth");
  }
  return input;
}

function entryFlags(element: XmlElement) {
  const where = `<${element.name}> (line ${element.line})`;
  return {
    updateType: entryUpdateType(element.attributes.UpdateType, where),
    typeCode: element.attributes.TypeCode,
    primaryFlag: flag(element.attributes.PrimaryFlag, `${where} PrimaryFlag`),
    validFlag: flag(element.attributes.ValidFlag, `${where} ValidFlag`),
    label: element.attributes.Label,
    contactPreferenceCode: element.attributes.ContactPreferenceCode,
  };
}

// `Object.assign` onto the flags rather than `{ ...flags, more }`: V8 (Node 20) adds properties to
// a spread copy slowly, about a microsecond each, and these run for every entry of every block.
function addressInput(element: XmlElement): AddressInput {
  return Object.assign(entryFlags(element), {
    addressLine1: textOf(element, "AddressLine1"),
    addressLine2: textOf(element, "AddressLine2"),
    addressLine3: textOf(element, "AddressLine3"),
    addressLine4: textOf(element, "AddressLine4"),
    apartmentNumber: textOf(element, "ApartmentNumber"),
    city: textOf(element, "City"),
    territory: textOf(element, "Territory"),
    postalCode: textOf(element, "PostalCode"),
    county: textOf(element, "County"),
    country: textOf(element, "Country"),
  });
}

function emailInput(element: XmlElement): EmailInput {
  return Object.assign(entryFlags(element), { emailAddress: textOf(element, "EMailAddress") });
}

function telephoneInput(element: XmlElement): TelephoneInput {
  return Object.assign(entryFlags(element), {
    phoneNumber: textOf(element, "PhoneNumber"),
    extension: textOf(element, "Extension"),
  });
}

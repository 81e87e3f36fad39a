/** A generated batch file of `AddorUpdate` blocks (about 1.3 KB each), the same for every benchmark. */
import { createWriteStream } from "node:fs";
import { once } from "node:events";

export function block(index: number): string {
  const id = String(index).padStart(9, "0");
  return `  <Customer Action="AddorUpdate">
    <LastUpdateInfo><UpdateUserID>BENCH</UpdateUserID><UpdateDate>2015-04-15</UpdateDate></LastUpdateInfo>
    <RetailStoreID>${100 + (index % 50)}</RetailStoreID>
    <SignupDate>2006-07-13</SignupDate>
    <Affiliation><RetailStoreID>${200 + (index % 20)}</RetailStoreID></Affiliation>
    <EntityInformation>
      <Individual>
        <Salutation>${index % 2 === 0 ? "MR" : "ms"}</Salutation>
        <Name>
          <Name Location="First">customer${index % 97}</Name>
          <Name Location="Last">Smith-${index % 89}</Name>
        </Name>
        <ContactInformation>
          <Address PrimaryFlag="true" TypeCode="HOME">
            <AddressLine1>${index} Main Street</AddressLine1>
            <City>Solon</City>
            <Territory>OH</Territory>
            <PostalCode>44139</PostalCode>
            <Country>US</Country>
          </Address>
          <EMail PrimaryFlag="true" TypeCode="HOME"><EMailAddress>customer${index}@example.com</EMailAddress></EMail>
          <Telephone PrimaryFlag="true" TypeCode="HOME"><PhoneNumber>(440) 555-${String(index % 10000).padStart(4, "0")}</PhoneNumber></Telephone>
        </ContactInformation>
        <PersonalSummary><GenderType>${index % 2 === 0 ? "M" : "F"}</GenderType><BirthDate>1980-04-16</BirthDate></PersonalSummary>
      </Individual>
    </EntityInformation>
    <AlternateKey TypeCode="TWCUSTID"><AlternateID>T${id}</AlternateID></AlternateKey>
  </Customer>
`;
}

export async function writeBatchFile(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n');
  for (let index = 0; index < count; index += 1) {
    if (!out.write(block(index))) await once(out, "drain");
  }
  out.end("</Customers>\n");
  await once(out, "finish");
}
